"""`python -m lugha.train lm ...`: the entry point torchrun starts in every process
(`torchrun --nproc-per-node 2 -m lugha.train lm TEXT --out DIR`)."""

from lugha.train.distributed import die_with_parent

die_with_parent()

from lugha.train.cli import main  # noqa: E402

main()
