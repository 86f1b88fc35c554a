import { Tokenizer } from "@huggingface/tokenizers";
const QWEN =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const MINE =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+|\\r\\n|[\\r\\n]|[^\\S\\r\\n]+(?!\\S)|[^\\S\\r\\n]+";
const bytes: Record<string, number> = {};
// byte-level alphabet
const bs: number[] = [];
for (let b = 33; b <= 126; b++) bs.push(b);
for (let b = 161; b <= 172; b++) bs.push(b);
for (let b = 174; b <= 255; b++) bs.push(b);
const cs = bs.slice();
let n = 0;
for (let b = 0; b < 256; b++) {
  if (!bs.includes(b)) {
    bs.push(b);
    cs.push(256 + n);
    n++;
  }
}
const order = [...bs.keys()].sort((a, b) => bs[a] - bs[b]);
for (const i of order) bytes[String.fromCharCode(cs[i])] = bs[i];
for (const pat of [QWEN, MINE]) {
  const json = {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: [{
      id: 256,
      content: "<|endoftext|>",
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    }],
    normalizer: { type: "NFC" },
    pre_tokenizer: {
      type: "Sequence",
      pretokenizers: [
        { type: "Split", pattern: { Regex: pat }, behavior: "Isolated", invert: false },
        { type: "ByteLevel", add_prefix_space: false, trim_offsets: false, use_regex: false },
      ],
    },
    post_processor: {
      type: "ByteLevel",
      add_prefix_space: false,
      trim_offsets: false,
      use_regex: false,
    },
    decoder: { type: "ByteLevel", add_prefix_space: false, trim_offsets: false, use_regex: false },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: "",
      end_of_word_suffix: "",
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: bytes,
      merges: [] as string[],
    },
  };
  const tok = new Tokenizer(json, { clean_up_tokenization_spaces: false });
  const text = "Heat (1995)\nIt's  A.I. 12 ok \n\n  x<|endoftext|>é🎬 end  \n";
  console.log(JSON.stringify(tok.pre_tokenizer!(text)));
  const e = tok.encode(text, { add_special_tokens: false });
  console.log(e.ids.length, JSON.stringify(tok.decode(e.ids)) === JSON.stringify(text));
}
