// Writes gpt-tokenizer's o200k_base ranks as a .tiktoken file ("base64(token) rank" per line),
// the format tiktoken loads; lugha checks the result against OpenAI's published SHA-256.
const fs = require("fs");
const [, , modulePath, outPath] = process.argv;
const bpe = require(modulePath).default;
const enc = new TextEncoder();
const lines = bpe.map((tok, rank) => {
  const bytes = typeof tok === "string" ? enc.encode(tok) : Uint8Array.from(tok);
  return Buffer.from(bytes).toString("base64") + " " + rank + "\n";
});
fs.writeFileSync(outPath, lines.join(""));
