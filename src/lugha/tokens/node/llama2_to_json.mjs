// Dumps the Llama 2 vocabulary and merges embedded in llama-tokenizer-js as JSON
// {"vocab": [token strings by id], "merges": [[left, right], ...] in priority order}.
import fs from "fs";
const [, , modulePath, outPath] = process.argv;
const mod = await import(modulePath);
const tok = new mod.LlamaTokenizer();
const merges = [...tok.merges.entries()].sort((a, b) => a[1] - b[1]).map(([k]) => {
  const i = k.indexOf(" ");
  return [k.slice(0, i), k.slice(i + 1)];
});
fs.writeFileSync(outPath, JSON.stringify({ vocab: tok.vocabById, merges }));
