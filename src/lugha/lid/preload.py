"""Load the bundled language-ID backends when imported.

`lugha audit` names this module as its process pool's preload (`LocalExecutor(preload=...)`): the
pool's fork server imports it once, before it forks any worker, so every worker starts with the
models already in memory and shares their pages copy-on-write (heliport's ~880 MB, py3langid's
~115 MB) instead of loading its own copy. Importing it anywhere else just warms the cache."""

from lugha.lid.ensemble import preload_bundled

preload_bundled()
