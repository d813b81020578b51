"""`lugha eval bpb|fidelity|contamination|mt` and `lugha compare`. Thin: parse, call, print."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from lugha.errors import LughaError
from lugha.progress import console, styled

out_console = console()
err_console = console(stderr=True)

eval_app = typer.Typer(no_args_is_help=True, help="Evaluate a model on your own held-out text.")

MODEL_HELP = ("hf:FOLDER, gguf:FILE.gguf, ngram:FILE (from `lugha train ngram`), lora:DIR (from `lugha train lora`) "
              "or an embedded model: gemma3-270m, smollm2-135m.")


def _load(spec: str):
    from lugha.models.base import load_model

    with err_console.status(f"loading {spec}", spinner="dots") if sys.stderr.isatty() else _nullctx():
        return load_model(spec)


class _nullctx:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


def _sig(result: dict) -> str:
    from lugha.evaluate.compare import compact_signature

    return compact_signature(result["signature"])


@eval_app.command("bpb")
def bpb_cmd(
    texts: list[str] = typer.Argument(..., help="Held-out text files, one document per line."),
    model: str = typer.Option(..., "--model", help=MODEL_HELP),
    lang: Optional[str] = typer.Option(None, "--lang", help="Language of every file (default: from each file name)."),
    context: Optional[int] = typer.Option(None, "--context", min=2, help="Window length in tokens (default: the model's maximum)."),
    stride: Optional[int] = typer.Option(None, "--stride", min=1, help="New tokens scored per window (default: = context)."),
    limit: Optional[int] = typer.Option(None, "--limit", min=1, help="Score only the first N documents of each file."),
    bootstrap: int = typer.Option(1000, "--bootstrap", min=0, help="Bootstrap resamples for the 95% interval."),
    metric: str = typer.Option("bpb", "--metric", help="bpb, or half-sentence: also Goldfish's bits of the second half of each line given the first (split by characters)."),
    json_out: Optional[Path] = typer.Option(None, "--json", help="Write the figures as JSON."),
):
    """Bits per byte per file and per language (lower is better)."""
    from rich.table import Table

    from lugha.evaluate.bpb import METRICS, evaluate_bpb
    from lugha.records import expand_inputs
    from lugha.report import write_json

    if metric not in METRICS:
        raise LughaError(f"--metric must be one of {', '.join(METRICS)}, got {metric!r}")
    files = expand_inputs(texts)
    if stride and context and stride > context:  # before a minute of model loading
        raise LughaError(f"--stride must be between 1 and --context ({context}), got {stride}")
    m = _load(model)
    langs = {str(f): lang for f in files} if lang else None
    if sys.stderr.isatty():
        from rich.progress import Progress

        with Progress(console=err_console, transient=True) as bar:
            task = bar.add_task("scoring files", total=len(files))
            result = evaluate_bpb(m, files, langs=langs, context=context, stride=stride, limit=limit,
                                  n_boot=bootstrap, progress=lambda f: bar.advance(task), metric=metric)
    else:
        result = evaluate_bpb(m, files, langs=langs, context=context, stride=stride, limit=limit, n_boot=bootstrap,
                              metric=metric)
    t = Table(title=f"bits per byte, {model}")
    for c in ("file", "lang", "docs", "bytes", "bpb", "95% CI", "bytes/s"):
        t.add_column(c, justify="left" if c in ("file", "lang") else "right")
    for r in result["files"]:
        t.add_row(r["file"], r["lang"], f"{r['documents']:,}", f"{r['bytes']:,}", f"{r['bpb']:.4f}",
                  f"{r['ci95'][0]:.3f}–{r['ci95'][1]:.3f}",
                  f"{r['bytes_per_second']:,.0f}" if r["bytes_per_second"] else "")
    per_lang_files = {}
    for r in result["files"]:
        per_lang_files[r["lang"]] = per_lang_files.get(r["lang"], 0) + 1
    for lang_code, v in result["languages"].items():
        if per_lang_files.get(lang_code, 0) > 1:  # a pooled row only where it adds something
            t.add_row(styled("all", "bold"), lang_code, f"{v['documents']:,}", f"{v['bytes']:,}", styled(f"{v['bpb']:.4f}", "bold"),
                      f"{v['ci95'][0]:.3f}–{v['ci95'][1]:.3f}", "")
    out_console.print(t)
    if metric == "half-sentence":
        h = Table(title="second half of each line given the first (Goldfish; split by characters)")
        for c in ("lang", "lines", "bits/line", "95% CI", "bpb"):
            h.add_column(c, justify="left" if c == "lang" else "right")
        for lang_code, v in result["languages"].items():
            x = v["half_sentence"]
            h.add_row(lang_code, f"{x['lines']:,}", f"{x['bits_per_line']:.2f}",
                      f"{x['bits_per_line_ci95'][0]:.2f}–{x['bits_per_line_ci95'][1]:.2f}", f"{x['bpb']:.4f}")
        out_console.print(h)
    out_console.print(_sig(result), markup=False, highlight=False)
    if json_out:
        write_json(json_out, result)


@eval_app.command("fidelity")
def fidelity_cmd(
    prompts: Optional[Path] = typer.Argument(None, help="Instructions, one per line; with --continuation, held-out text of LANG."),
    lang: str = typer.Option(..., "--lang", help="The language answers should be in."),
    model: Optional[str] = typer.Option(None, "--model", help=MODEL_HELP),
    continuation: bool = typer.Option(False, "--continuation", help="Prompt with the first half of each held-out line."),
    generations: Optional[Path] = typer.Option(None, "--generations", help="Score existing outputs (CSV/JSONL with completion, language, prompt) instead of generating."),
    max_new_tokens: int = typer.Option(48, "--max-new-tokens", min=1),
    temperature: float = typer.Option(0.0, "--temperature", min=0.0),
    seed: int = typer.Option(0, "--seed"),
    limit: Optional[int] = typer.Option(None, "--limit", min=1, help="Use only the first N prompts."),
    min_tokens: int = typer.Option(5, "--min-tokens", min=1, help="Lines shorter than this are not judged (LCB: 5)."),
    lid_model: Optional[Path] = typer.Option(None, "--lid-model", help="A `lugha lid train` model or fastText LID file added to the ensemble."),
    json_out: Optional[Path] = typer.Option(None, "--json", help="Write lpr/wpr per language and every generation with its labels."),
    generations_out: Optional[Path] = typer.Option(None, "--save-generations", help="Write the generations as JSONL for `lugha review import --kind generation` (and --generations)."),
):
    """Does the model answer in LANG? Line- and word-level pass rates (Language Confusion Benchmark)."""
    from rich.table import Table

    from lugha.evaluate import fidelity as fd
    from lugha.langs import resolve
    from lugha.report import write_json

    target = resolve(lang).code
    params: dict = {"lang": target, "min_tokens": min_tokens}
    model_sig = None
    if generations is not None:
        rows = fd.read_generations(generations, default_lang=target)
        model_name = model or str(generations)
    else:
        if model is None or prompts is None:
            raise LughaError("give --model and a PROMPTS file, or --generations FILE")
        plist = fd.continuation_prompts(prompts, limit) if continuation else fd.read_prompts(prompts)[:limit]
        m = _load(model)
        if sys.stderr.isatty():  # a progress bar on long work, quiet when piped
            from rich.progress import track

            completions = [m.generate([p], max_new_tokens=max_new_tokens, temperature=temperature, seed=seed)[0]
                           for p in track(plist, description="generating", console=err_console)]
        else:
            completions = m.generate(plist, max_new_tokens=max_new_tokens, temperature=temperature, seed=seed)
        rows = [{"prompt": p, "completion": c, "language": target} for p, c in zip(plist, completions)]
        params.update(continuation=continuation,
                      max_new_tokens=max_new_tokens, temperature=temperature, seed=seed)
        model_sig = m.signature()
        model_name = model
    identify = fd.lid_identifier(str(lid_model) if lid_model else None)
    scored = fd.score_generations(rows, identify, min_tokens=min_tokens)
    result = fd.fidelity_result(scored, model_name, params, model_sig, identify.signature(),
                                inputs=[generations if generations is not None else prompts])
    t = Table(title=f"language fidelity, {model_name}")
    for c in ("lang", "responses", "judged", "LPR", "WPR", "lines in other languages"):
        t.add_column(c, justify="left" if c in ("lang", "lines in other languages") else "right")
    for code, v in result["languages"].items():
        drift = ", ".join(f"{k} {s:.0%}" for k, s in v["line_share"].items() if k != code)
        t.add_row(code, str(v["responses"]), str(v["judged"]),
                  "" if v["lpr"] is None else f"{v['lpr']:.1%}", "" if v["wpr"] is None else f"{v['wpr']:.1%}",
                  drift or "none")
    out_console.print(t)
    out_console.print(_sig(result), markup=False, highlight=False)
    if json_out:
        write_json(json_out, result)
    if generations_out:
        fd.write_generations_jsonl(result, generations_out)


@eval_app.command("contamination")
def contamination_cmd(
    train: list[str] = typer.Option(..., "--train", help="Training corpus files/folders/globs (repeat --train)."),
    test: list[str] = typer.Option(..., "--test", help="Test set files (repeat --test)."),
    word_n: int = typer.Option(13, "--word-n", min=1, help="Word n-gram length for space-delimited scripts."),
    char_n: int = typer.Option(50, "--char-n", min=1, help="Character n-gram length for unspaced scripts."),
    threshold: float = typer.Option(0.0, "--threshold", min=0.0, max=1.0, help="Dirty when this share of a document's n-grams is in training (0: any)."),
    json_out: Optional[Path] = typer.Option(None, "--json"),
    show: int = typer.Option(10, "--show", min=0, help="List this many dirty documents."),
):
    """N-gram overlap between a test set and a training corpus, per test document."""
    from lugha.evaluate.contamination import contamination
    from lugha.records import expand_inputs
    from lugha.report import write_json

    result = contamination(expand_inputs(test), expand_inputs(train), word_n, char_n, threshold)
    out_console.print(f"{result['dirty']:,} of {result['test_documents']:,} test documents are dirty "
                      f"({result['contaminated_share']:.1%}); training corpus: {result['train_documents']:,} "
                      f"documents, {result['train_bytes']:,} bytes")
    for d in [d for d in result["documents"] if d["dirty"]][:show]:
        out_console.print(f"  {d['file']}:{d['line']}  {d['overlapping']}/{d['ngrams']} {d['unit']} n-grams "
                          f"({d['overlap']:.0%})", markup=False, highlight=False)
    out_console.print(_sig(result), markup=False, highlight=False)
    if json_out:
        write_json(json_out, result)


@eval_app.command("mt")
def mt_cmd(
    hyp: Path = typer.Argument(..., help="System output, one segment per line."),
    ref: Path = typer.Argument(..., help="Reference translation, line-aligned."),
    lang: Optional[str] = typer.Option(None, "--lang", help="Target language (default: from the reference file name)."),
    model: str = typer.Option("", "--model", help="Name of the system, to match reported.yaml and compare."),
    reported: Optional[Path] = typer.Option(None, "--reported", help="reported.yaml with published scores to show next to these."),
    json_out: Optional[Path] = typer.Option(None, "--json"),
):
    """chrF++ and BLEU with sacrebleu, each with its signature."""
    from lugha.evaluate.mt import read_reported, score_mt
    from lugha.report import write_json

    r = score_mt(hyp, ref, lang, model)
    out_console.print(f"{r['lang']}: chrF++ {r['chrf++']:.2f}  BLEU {r['bleu']:.2f}  ({r['segments']:,} segments)")
    out_console.print(f"chrF++ {r['chrf_signature']}", markup=False, highlight=False)
    out_console.print(f"BLEU {r['bleu_signature']}", markup=False, highlight=False)
    if reported:
        for e in read_reported(reported):
            if e["lang"] == r["lang"] and e["metric"] in ("chrf++", "bleu") and (not e["model"] or not model or e["model"].lower() in model.lower()):
                out_console.print(f"reported {e['metric']} {e['value']:g} ({e['source'] or 'no source'}) vs measured "
                                  f"{r[e['metric']]:.2f}: {r[e['metric']] - e['value']:+.2f}", markup=False, highlight=False)
    if json_out:
        write_json(json_out, r)


@eval_app.command("mcq")
def mcq_cmd(
    files: list[str] = typer.Argument(..., help="Question files: headerless CSV (question, A, B, C, D, answer) or JSONL with those fields."),
    model: str = typer.Option(..., "--model", help=MODEL_HELP),
    shots: int = typer.Option(0, "--shots", min=0, help="Few-shot examples: the first K questions of the dev file."),
    dev: Optional[list[Path]] = typer.Option(None, "--dev", help="Dev files for --shots (repeat; matched by subject and language). Default: each file's _dev sibling."),
    subject: Optional[str] = typer.Option(None, "--subject", help="Subject for the prompt (default: from the file name)."),
    lang: Optional[str] = typer.Option(None, "--lang", help="Language of every file (default: from the file name; no suffix = English)."),
    reported: Optional[Path] = typer.Option(None, "--reported", help="reported.yaml (metric: acc) or a wide table like paper_table_2.csv, shown beside the measured figures."),
    reported_as: Optional[str] = typer.Option(None, "--reported-as", help="Model name to look up in --reported (default: the model spec)."),
    bootstrap: int = typer.Option(2000, "--bootstrap", min=0, help="Bootstrap resamples for the paired gap to English."),
    json_out: Optional[Path] = typer.Option(None, "--json", help="Write the figures and per-item predictions as JSON."),
    predictions: Optional[Path] = typer.Option(None, "--predictions", help="Write per-item predictions (.parquet or .jsonl)."),
    html_out: Optional[Path] = typer.Option(None, "--html", help="Write an HTML report."),
    md_out: Optional[Path] = typer.Option(None, "--md", help="Write a Markdown report."),
):
    """Multiple-choice accuracy by log-likelihood (lm-evaluation-harness's MMLU prompt), per file and
    language, with the gap to English on the same items."""
    from rich.table import Table

    from lugha.evaluate import mcq
    from lugha.records import expand_inputs
    from lugha.records import write_json, write_text

    paths = expand_inputs(files)
    rep = mcq.read_reported_any(reported) if reported else None
    for p in paths:  # read and check every file before a minute of model loading
        mcq.load_file(p, subject, lang)
    m = _load(model)
    if sys.stderr.isatty():
        from rich.progress import Progress

        total = sum(len(mcq.read_items(p)) for p in paths)
        with Progress(console=err_console, transient=True) as bar:
            task = bar.add_task("scoring questions", total=total)
            result = mcq.evaluate_mcq(m, paths, shots=shots, dev=dev, subject=subject, lang=lang, reported=rep,
                                      reported_model=reported_as, n_boot=bootstrap,
                                      progress=lambda n: bar.advance(task, n))
    else:
        result = mcq.evaluate_mcq(m, paths, shots=shots, dev=dev, subject=subject, lang=lang, reported=rep,
                                  reported_model=reported_as, n_boot=bootstrap)
    t = Table(title=f"multiple-choice accuracy, {model}, {shots}-shot")
    for c in mcq.HEADERS:
        t.add_column(c, justify="left" if c in ("lang", "subject") else "right")
    for r in mcq.table_rows(result):
        t.add_row(*r)
    out_console.print(t)
    out_console.print(_sig(result), markup=False, highlight=False)
    if json_out:
        write_json(json_out, result)
    if predictions:
        mcq.write_predictions(result, predictions)
    if html_out:
        write_text(html_out, mcq.render_html(result))
    if md_out:
        write_text(md_out, mcq.render_markdown(result))


@eval_app.command("generate")
def generate_cmd(
    prompts: Path = typer.Option(..., "--prompts", help="Prompt set (JSONL: id, lang, domain, risk, prompt; optional reference, rubric)."),
    out: Path = typer.Option(..., "--out", help="Folder for answers.jsonl, answers/<model>.jsonl and generate.json."),
    models: str = typer.Option("", "--models", help="Comma-separated model specs (hf:, gguf:, ngram:, ...)."),
    imports: Optional[list[str]] = typer.Option(None, "--import", help="NAME=FILE.jsonl: answers produced elsewhere (prompt_id, answer), as another model. Repeat."),
    max_new_tokens: int = typer.Option(256, "--max-new-tokens", min=1),
    temperature: float = typer.Option(0.0, "--temperature", min=0.0, help="0: greedy."),
    seed: int = typer.Option(0, "--seed"),
    min_tokens: int = typer.Option(5, "--min-tokens", min=1, help="Fidelity: lines shorter than this are not judged."),
):
    """Every model's answers to a prompt set, each checked for language fidelity; resumable per model."""
    from rich.table import Table

    from lugha.evaluate.generate import generate_answers

    imp = {}
    for item in imports or []:
        name, sep, path = item.partition("=")
        if not sep or not name or not path:
            raise LughaError(f"--import {item!r} is not NAME=FILE")
        imp[name] = path
    specs = [m.strip() for m in models.split(",") if m.strip()]

    def progress(spec, what):
        if what.startswith("skipped"):
            err_console.print(f"{spec}: {what}", markup=False, highlight=False)

    result = generate_answers(specs, prompts, out, imports=imp, max_new_tokens=max_new_tokens,
                              temperature=temperature, seed=seed, min_tokens=min_tokens, loader=_load,
                              progress=progress)
    t = Table(title=f"answers to {prompts} ({result['n_prompts']} prompts)")
    for c in ("model", "lang", "answers", "judged", "in the language (LPR)", "95% CI"):
        t.add_column(c, justify="left" if c in ("model", "lang") else "right")
    for r in result["fidelity"]:
        lpr = r["lpr"]
        t.add_row(r["model"], r["lang"], str(r["answers"]), str(r["judged"]),
                  "" if lpr["rate"] is None else f"{lpr['rate']:.0%}",
                  "" if lpr["rate"] is None else f"{lpr['low']:.0%}–{lpr['high']:.0%}")
    out_console.print(t)
    out_console.print(_sig(result), markup=False, highlight=False)
    err_console.print(f"wrote {result['answers_file']}")


def compare_cmd(
    results: list[Path] = typer.Argument(..., help="Result JSON files (eval bpb/fidelity/mt/contamination, tokens tax --json) and reported.yaml."),
    out: Path = typer.Option(..., "--out", help="Folder for compare.html, compare.md and compare.json."),
):
    """Models × languages side by side, with the verdict per language."""
    from lugha.evaluate.compare import compare

    cmp = compare(results, out)
    for lang, v in cmp["verdicts"].items():
        out_console.print(f"{lang}: {v}", markup=False, highlight=False)
    err_console.print(f"wrote {out / 'compare.html'} and {out / 'compare.md'}")


def register(app: typer.Typer) -> None:
    app.add_typer(eval_app, name="eval")
    app.command("compare")(compare_cmd)
