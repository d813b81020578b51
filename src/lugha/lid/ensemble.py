"""The language-ID ensemble: several backends vote; backends that cannot know the answer abstain.

Voting rule (also in docs/lid.md):

1. Every backend gives one label (ISO 639-3 as the backend said it; a macrolanguage and its members
   count as the same language, so swa/swh and kur/ckb agree) and a score in 0..1. With a closed candidate set (`candidates`),
   every backend picks its best label inside the set; a backend with no label in the set abstains.
2. Protected languages: the claimed language (`target`) and every candidate of a closed set; with
   neither (open set, no claim), the label a user model (`lid_model`) gives the text, so that the
   model decides for the languages it was trained on. A backend
   that cannot emit a protected language abstains when its own label is a language written in one
   of that language's scripts: it may be confusing it with a neighbour it knows (Tigrinya read as
   Amharic, Twi as Swahili, Swati as Zulu). A label in another script still counts: Latin-script
   English is evidence against Ge'ez-script Tigrinya whatever the backend's label set.
3. For each language L that some voting backend named, support(L) = (sum of the scores of the
   backends that named L or the same language) / (1 + the number of voting backends able to emit L). Backends that cannot
   emit L neither support nor oppose it, which lets a single model that knows L (a model trained with
   `lugha lid train`, or GlotLID) override backends that have no label for L; the +1 keeps one
   backend's lone guess of a rare label from beating several backends agreeing on another.
4. The ensemble label is the L with the highest support (ties: an individual language before a
   macrolanguage, then more voters, then the code); a macrolanguage label becomes its dominant member
   (CLDR: swa -> swh, ara -> arb) unless another member was named (kur next to ckb stays kur). Its
   score is the mean score of the backends that named it, times the share of able backends that did.
   No votes: 'und', score 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from lugha.langs import UNDETERMINED, Lang, canonical, expected_scripts, macrolanguage_of, resolve, same_language
from lugha.lid.backends import BUNDLED, LID_MAX_CHARS, FastTextBackend, lid_sample, load_backend
from lugha.lid.naive_bayes import load_model_backend as nb_backend


@dataclass
class Prediction:
    lang: str  # ISO 639-3, or 'und'
    score: float  # 0..1
    votes: dict[str, tuple[str, float]] = field(default_factory=dict)  # backend -> (label, score)
    abstained: tuple[str, ...] = ()


_BACKEND_CACHE: dict[str, object] = {}


def _bundled(name: str):
    if name not in _BACKEND_CACHE:
        _BACKEND_CACHE[name] = load_backend(name)
    return _BACKEND_CACHE[name]


def preload_bundled() -> None:
    """Load every bundled backend into this process's cache (see lugha.lid.preload)."""
    for name in BUNDLED:
        _bundled(name)


def load_model_backend(path: str | Path):
    """A user model file: a model made by `lugha lid train`, else a fastText file (GlotLID, OpenLID)."""
    return nb_backend(path) or FastTextBackend(path)


class Identifier:
    def __init__(self, target: Lang | str | None = None, candidates: list[str] | None = None,
                 lid_model: str | Path | None = None, backends: list[str] | None = None):
        self.target = resolve(target) if isinstance(target, str) else target
        self.candidates = frozenset(canonical(resolve(c).code) for c in candidates) if candidates else None
        self.backends = [_bundled(n) for n in (backends or BUNDLED)]
        self._has_user_model = lid_model is not None
        if lid_model is not None:
            self.backends.append(load_model_backend(lid_model))
        self.backend_names = [b.name for b in self.backends]
        self._scripts: dict[str, frozenset[str]] = {}
        self._emit_cache: dict[tuple[str, str], bool] = {}
        self._plans: dict[tuple[str, ...], tuple] = {}

    def _script_set(self, code: str) -> frozenset[str]:
        if code not in self._scripts:
            self._scripts[code] = frozenset(expected_scripts(code))
        return self._scripts[code]

    def _can_emit(self, backend, code: str) -> bool:
        """Whether a backend has a label for this language (or its macrolanguage/a member)."""
        key = (backend.name, code)
        hit = self._emit_cache.get(key)
        if hit is None:
            hit = code in backend.labels or any(same_language(code, lab) for lab in backend.labels)
            self._emit_cache[key] = hit
        return hit

    def signature(self) -> dict:
        return {b.name: b.version() for b in self.backends}

    def _blind_scripts(self, j: int, langs) -> frozenset[str]:
        """Scripts of the protected languages (rule 2) that backend j has no label for."""
        key = ("blind", j, langs)
        hit = self._emit_cache.get(key)
        if hit is None:
            hit = frozenset().union(*(self._script_set(c) for c in langs
                                      if not self._can_emit(self.backends[j], c)))
            self._emit_cache[key] = hit
        return hit

    def identify(self, texts: list[str]) -> list[Prediction]:
        if not texts:
            return []
        # every backend reads a bounded sample of a long document (lid_sample): LID memory and time
        # per document stay bounded whatever its length
        texts = [t if len(t) <= LID_MAX_CHARS else lid_sample(t) for t in texts]
        per_backend = [b.predict(texts, self.candidates) for b in self.backends]
        names = self.backend_names
        out = []
        for i in range(len(texts)):
            labs = tuple(pb[i][0] for pb in per_backend)
            plan = self._plans.get(labs)
            if plan is None:
                if len(self._plans) > 100_000:  # bound memory on pathological label variety
                    self._plans.clear()
                plan = self._plans[labs] = self._plan(labs)
            shown, abstained, options = plan
            scores = [float(pb[i][1]) for pb in per_backend]
            votes = {n: (lab, round(sc, 4)) for n, lab, sc in zip(names, shown, scores)}
            if not options:
                out.append(Prediction(UNDETERMINED, 0.0, votes, abstained))
                continue
            best = None
            for lab, final, named, n_able, individual in options:
                support = sum(scores[j] for j in named) / (1 + n_able)
                key = (round(support, 9), individual, len(named), lab)
                if best is None or key > best[0]:
                    best = (key, final, named, n_able)
            _, final, named, n_able = best
            score = (sum(scores[j] for j in named) / len(named)) * (len(named) / n_able)
            out.append(Prediction(final, round(score, 4), votes, abstained))
        return out

    def _plan(self, labs: tuple[str, ...]):
        """Everything the vote needs that depends only on the backends' labels, not their scores
        (rules 1-4 above); cached per label combination, which repeats across a corpus."""
        target = self.target
        # rule 2: languages a backend must not vote against when it cannot emit them
        protected = frozenset(([target.code] if target is not None else []) + sorted(self.candidates or ()))
        # In open-set mode with no claimed language, the user model's label is protected too (it decides
        # for its languages). With a claim or a candidate set those are what is protected: protecting a
        # UDHR-trained model's label as well let its Nguni mistakes silence backends (Zulu news
        # called Zulu 0.95 without the model, 0.90 with).
        user = len(self.backends) - 1 if self._has_user_model and not protected else None
        user_lab = labs[user] if user is not None else UNDETERMINED
        here = protected | {user_lab} if user_lab != UNDETERMINED else protected
        shown: list[str] = []
        voting: list[tuple[int, str]] = []
        abstained = []
        for j, b in enumerate(self.backends):
            lab = labs[j]
            if target is not None and same_language(lab, target.code):
                lab = target.code
            shown.append(lab)
            if lab == UNDETERMINED:
                abstained.append(b.name)
                continue
            if here and j != user and self._script_set(lab) & self._blind_scripts(j, here):
                abstained.append(b.name)
                continue
            voting.append((j, lab))
        options = []
        for lab in sorted({lab for _, lab in voting}):
            named = tuple(j for j, l2 in voting if l2 == lab or same_language(l2, lab))
            able = sum(1 for j, _ in voting if self._can_emit(self.backends[j], lab))
            individual = macrolanguage_of(lab) is not None or canonical(lab) == lab
            final = lab
            if canonical(lab) != lab and not any(l2 != lab and same_language(l2, lab) for _, l2 in voting):
                final = canonical(lab)  # 'swa' alone -> 'swh'; but 'kur' next to 'ckb' votes stays 'kur'
            options.append((lab, final, named, max(able, len(named)), individual))
        return tuple(shown), tuple(abstained), tuple(options)
