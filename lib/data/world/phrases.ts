// Word lists of the built-in world's conversation grammar: synonyms per genre, creative type, era and
// popularity appetite, plus openers, hedges and closers. Not in the paper (a simulator's vocabulary).

/** Ways to name each vega "Major Genre" (plural noun phrases that fit "I love …" / "looking for …"). */
export const GENRE_PHRASES: Readonly<Record<string, readonly string[]>> = {
  "Drama": [
    "dramas",
    "serious dramas",
    "character-driven stories",
    "heavy emotional films",
    "slow-burn dramas",
    "tearjerkers",
    "prestige dramas",
  ],
  "Comedy": [
    "comedies",
    "funny movies",
    "lighthearted stuff",
    "silly comedies",
    "movies that make me laugh",
    "goofy comedies",
    "laugh-out-loud films",
  ],
  "Action": [
    "action movies",
    "big action flicks",
    "explosions and car chases",
    "adrenaline-fueled films",
    "shoot-em-ups",
    "mindless action",
    "fight scenes and chases",
  ],
  "Adventure": [
    "adventure films",
    "epic journeys",
    "swashbuckling adventures",
    "quest movies",
    "big adventure stories",
    "treasure-hunt type movies",
  ],
  "Thriller/Suspense": [
    "thrillers",
    "suspense movies",
    "edge-of-your-seat thrillers",
    "tense twisty movies",
    "mysteries with a twist",
    "psychological thrillers",
    "whodunits",
  ],
  "Horror": [
    "horror",
    "scary movies",
    "creepy films",
    "spooky stuff",
    "slashers",
    "movies that keep me up at night",
    "frightening films",
  ],
  "Romantic Comedy": [
    "rom-coms",
    "romantic comedies",
    "feel-good love stories",
    "cute romance movies",
    "date-night comedies",
    "meet-cute movies",
  ],
  "Musical": [
    "musicals",
    "movies with great songs",
    "song-and-dance films",
    "movie musicals",
    "films full of music numbers",
  ],
  "Documentary": [
    "documentaries",
    "docs",
    "non-fiction films",
    "real documentaries",
    "eye-opening documentaries",
  ],
  "Western": [
    "westerns",
    "cowboy movies",
    "films set in the old west",
    "gunslinger movies",
    "frontier stories",
  ],
  "Black Comedy": [
    "dark comedies",
    "black comedies",
    "twisted humor",
    "pitch-black satire",
    "morbidly funny films",
  ],
  "Concert/Performance": [
    "concert films",
    "performance films",
    "live music movies",
    "filmed stand-up and concerts",
  ],
};

/** Ways to name each vega "Creative Type". */
export const CREATIVE_TYPE_PHRASES: Readonly<Record<string, readonly string[]>> = {
  "Contemporary Fiction": [
    "stories set in the present day",
    "modern-day stories",
    "grounded contemporary stories",
    "realistic modern settings",
  ],
  "Historical Fiction": [
    "period pieces",
    "historical settings",
    "costume dramas",
    "stories set in the past",
    "history-based fiction",
  ],
  "Fantasy": [
    "fantasy",
    "magic and other worlds",
    "fantastical stuff",
    "sword-and-sorcery",
    "fairy-tale worlds",
  ],
  "Science Fiction": [
    "sci-fi",
    "science fiction",
    "space and futuristic stuff",
    "anything with aliens or time travel",
    "futuristic worlds",
  ],
  "Dramatization": [
    "true stories",
    "films based on real events",
    "real events dramatized",
    "biopics",
  ],
  "Kids Fiction": [
    "family-friendly films",
    "movies I can watch with my kids",
    "kid-friendly stuff",
    "animated family films",
  ],
  "Factual": ["factual films", "real-life subjects", "strictly factual stuff"],
  "Super Hero": [
    "superhero movies",
    "comic book movies",
    "capes and superpowers",
    "superhero stuff",
  ],
  "Multiple Creative Types": ["genre mashups", "films that mix everything"],
};

/** Era phrases by era center year (see taste.ts ERA_CENTERS). */
export const ERA_PHRASES: Readonly<Record<number, readonly string[]>> = {
  1965: ["the 60s", "the sixties", "the 1960s"],
  1975: ["the 70s", "the seventies", "the 1970s"],
  1985: ["the 80s", "the eighties", "the 1980s"],
  1995: ["the 90s", "the nineties", "the 1990s"],
  2005: ["the 2000s", "the noughties", "the mid-2000s"],
  2009: ["the last few years", "recent years", "the past couple of years"],
};

/** Stand-alone era sentences by era center year, used besides the "from {E}" templates. */
export const ERA_SENTENCES: Readonly<Record<number, readonly string[]>> = {
  1965: ["Old classics are my favorite.", "I like older films, the kind my grandparents watched."],
  1975: ["Seventies cinema is the best era for me."],
  1985: ["I grew up on eighties movies and still love them."],
  1995: ["Nineties movies hit the spot for me."],
  2005: ["Stuff from the 2000s is my sweet spot."],
  2009: [
    "Something recent would be great.",
    "Newer releases preferred.",
    "I want something that came out recently.",
  ],
};

/** Phrases for a positive popularity appetite (crowd-pleasers). */
export const MAINSTREAM_PHRASES: readonly string[] = [
  "a crowd-pleaser",
  "something mainstream",
  "a big blockbuster",
  "popular stuff everyone has seen",
  "well-known hits",
  "a big studio movie",
  "something everyone talks about",
];

/** Phrases for a negative popularity appetite (hidden gems). */
export const HIDDEN_GEM_PHRASES: readonly string[] = [
  "a hidden gem",
  "something underrated",
  "lesser-known films",
  "obscure picks",
  "under-the-radar movies",
  "stuff nobody has heard of",
  "deep cuts",
];

/** Phrases for a high rating sensitivity. */
export const ACCLAIM_PHRASES: readonly string[] = [
  "it has to be actually good",
  "critically acclaimed stuff only",
  "highly rated films",
  "only the good stuff",
  "nothing with bad reviews",
];

/** Phrases for a low rating sensitivity. */
export const TRASH_OK_PHRASES: readonly string[] = [
  "I don't care about reviews",
  "even trashy fun is fine",
  "guilty pleasures are welcome",
  "bad reviews don't scare me",
];

/** Post titles (first line of the first USER turn); placeholders {G} genre, {M} movie, {E} era. */
export const POST_TITLES: readonly string[] = [
  "Looking for {G}",
  "Need some {G}",
  "Movies like {M}?",
  "Recommend me something similar to {M}",
  "What should I watch tonight?",
  "Help me pick a movie for the weekend",
  "Movie night suggestions",
  "Best {G} from {E}?",
  "Any {G} you'd recommend?",
  "Just watched {M} and want more",
  "Craving {G}",
  "Suggestions please",
  "What to watch after {M}?",
  "Recs for {G}?",
  "I need a good movie",
  "Give me your favorite {G}",
  "Stuck in a movie rut",
  "Something like {M}",
  "Bored, need recommendations",
  "Rainy day movie ideas?",
  "{G} recommendations?",
  "Date night movie?",
];

/** Sentences about a seen movie ({M}); the user liked it. */
export const SEEN_ONE: readonly string[] = [
  "I just watched {M} and loved it.",
  "{M} is one of my all-time favorites.",
  "Recently rewatched {M} and it still holds up.",
  "I had a blast with {M}.",
  "{M} blew me away.",
  "Something in the vein of {M} would be perfect.",
  "I keep coming back to {M}.",
  "Last week I finally saw {M} and it was great.",
  "My comfort movie is {M}.",
  "Nothing has hit me like {M} in a while.",
  "I really enjoyed {M}.",
  "Think {M} but maybe a bit different.",
];

/** Sentences about several seen movies ({L} = a joined list). */
export const SEEN_MANY: readonly string[] = [
  "My favorites are {L}.",
  "Loved {L}.",
  "For reference I really liked {L}.",
  "Stuff I've enjoyed lately: {L}.",
  "I've already seen {L} and loved them.",
  "Some movies I love: {L}.",
  "Films like {L} are my jam.",
  "If it helps, my top picks are {L}.",
];

/** Sentences stating a liked genre ({G}). */
export const LIKE_GENRE: readonly string[] = [
  "I'm in the mood for {G}.",
  "I'm really into {G} lately.",
  "Feeling like {G} tonight.",
  "I love {G}.",
  "Mostly I watch {G}.",
  "Give me {G} any day.",
  "I always end up watching {G}.",
  "Big fan of {G}.",
  "I could watch {G} all day.",
  "Craving some {G}.",
];

/** Sentences stating a disliked genre ({G}). */
export const DISLIKE_GENRE: readonly string[] = [
  "I can't stand {G}.",
  "Please no {G}.",
  "Not into {G} at all.",
  "I get bored by {G}.",
  "Anything but {G}.",
  "I usually skip {G}.",
];

/** Sentences about a liked creative type ({C}). */
export const LIKE_CREATIVE: readonly string[] = [
  "Bonus points for {C}.",
  "I tend to go for {C}.",
  "It is always a plus when it has {C}.",
  "Ideally {C}.",
  "I have a soft spot for {C}.",
];

/** Sentences about a disliked creative type ({C}). */
export const DISLIKE_CREATIVE: readonly string[] = [
  "Not a fan of {C} though.",
  "I'd rather avoid {C}.",
  "Skip the {C}, please.",
];

/** Sentences about a favourite director ({D}). */
export const LIKE_DIRECTOR: readonly string[] = [
  "I love anything by {D}.",
  "Big {D} fan here.",
  "{D} is my favorite director.",
  "Something in the style of {D} would be great.",
  "I've been going through {D}'s filmography.",
  "{D} never disappoints me.",
];

/** Sentences about an era ({E}). */
export const LIKE_ERA: readonly string[] = [
  "Preferably from {E}.",
  "I'm on a kick of {E}.",
  "Something from {E} would be ideal.",
  "I'm mostly into {E}.",
  "Bonus if it's from {E}.",
];

/** Sentences about popularity appetite ({P}). */
export const LIKE_POPULARITY: readonly string[] = [
  "I'm looking for {P}.",
  "Honestly I want {P}.",
  "Ideally {P}.",
  "Something like {P} would do.",
  "I'm after {P}.",
];

/** Sentences about ratings ({R} is a full clause). */
export const RATING_SENTENCES: readonly string[] = ["Also, {R}.", "{R}.", "Oh and {R}."];

/** Hedges inserted before the final punctuation of some sentences. */
export const HEDGES: readonly string[] = [
  ", I think",
  ", if possible",
  ", honestly",
  ", if that makes sense",
  ", ideally",
  " I guess",
];

/** Distractor sentences naming a genre the user is neutral on ({G}). */
export const DISTRACTOR: readonly string[] = [
  "My partner is into {G} though, so that could work too.",
  "I don't mind {G} once in a while.",
  "A friend keeps telling me to try {G}.",
  "I used to watch a lot of {G} as a kid.",
];

/** Closing lines of the first USER turn. */
export const CLOSERS: readonly string[] = [
  "Thanks in advance!",
  "Any suggestions appreciated.",
  "Thanks!",
  "Cheers.",
  "Hit me with your best picks.",
  "",
  "",
  "Thank you!",
  "Appreciate it.",
];

/** SYSTEM turns that ask a clarifying question. */
export const SYSTEM_QUESTIONS: readonly string[] = [
  "Do you have a favorite director?",
  "Any particular era you're into?",
  "How do you feel about older movies?",
  "Do you want something well known or more obscure?",
  "What did you like about it?",
  "Is there any genre you want to avoid?",
  "Are you watching alone or with someone?",
  "Good question, I'd like some of these too. What else do you like?",
  "Following, same boat here. Anything you hate?",
];

/** Openers of the USER answer in a third turn. */
export const USER_FOLLOWUPS: readonly string[] = [
  "Good question! ",
  "Hmm, let me think. ",
  "Sure. ",
  "Not sure, but here goes. ",
  "Yeah, a few things. ",
  "Thanks! ",
  "",
];
