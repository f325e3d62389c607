"""Personal names (PERSON) in Chinese text with the shipped spaCy model ``models/person_ner``.

    ner = PersonNER.load()                 # the shipped model, loaded once per process
    ner.find("申请人王秀英，女，1965年出生。")  # -> [(3, 6, 0.98)]
    ner.find_many(texts)                   # nlp.pipe over all chunks of all texts

Offsets are Python string indices into the text given (end exclusive). Long texts are cut into chunks
of at most ``MAX_CHUNK`` characters at 。！？ and line breaks (failing that at ；，、 or spaces), the chunks
go through spaCy in batches and the spans are mapped back.

The model is a character-level transition-based NER (see ``models/person_ner/MODEL_CARD.md``). spaCy's
greedy decoder gives no probabilities, so ``find`` runs the same greedy decoding step by step and scores
each span with the probability of the actions that produced it (``with_scores=False``: spaCy's own
decoder, score 1.0 for every span, no surname prior).

Surname prior: while decoding, the score of starting a name at a character is raised or lowered by what
the surname list (``review/data/surnames.tsv``) says about that character — a common surname, a rare one,
or none (``StartBias``). The model's ``meta.json`` holds the values chosen on People's Daily dev
(``"decoding"``); a model without them decodes exactly as spaCy does.
"""
from __future__ import annotations

import contextlib
import importlib.resources
import json
import math
import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable

import numpy as np

MAX_CHUNK = 500
LABEL = "PERSON"

_SENT_END = re.compile(r"[。！？!?\n]+")
_SOFT_BREAK = re.compile(r"[；;，,、：:\s]")
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")

_lock = threading.Lock()
_cache: dict[tuple[str, bool], "PersonNER"] = {}
_resources = contextlib.ExitStack()


def default_model_path() -> Path:
    """``models/person_ner`` in a checkout, ``review/_models/person_ner`` in an installed wheel."""
    res = importlib.resources.files("review._models") / "person_ner"
    if isinstance(res, Path):
        return res
    return Path(_resources.enter_context(importlib.resources.as_file(res)))  # zipped install: extract once


def chunks(text: str, max_len: int = MAX_CHUNK) -> list[tuple[int, int]]:
    """(start, end) pieces of ``text``, each ≤ max_len characters, cut after 。！？ or a line break where
    possible; sentences are packed together up to max_len."""
    pieces: list[tuple[int, int]] = []
    pos = 0
    for m in _SENT_END.finditer(text):
        pieces.append((pos, m.end()))
        pos = m.end()
    if pos < len(text):
        pieces.append((pos, len(text)))
    out: list[tuple[int, int]] = []
    cur_s = cur_e = None
    for s, e in pieces:
        while e - s > max_len:  # one over-long sentence: cut at a soft break, else hard
            cut = s + max_len
            for m in _SOFT_BREAK.finditer(text, s + max_len // 2, s + max_len):
                cut = m.end()
            if cur_s is not None:
                out.append((cur_s, cur_e))
                cur_s = None
            out.append((s, cut))
            s = cut
        if cur_s is None:
            cur_s, cur_e = s, e
        elif e - cur_s <= max_len:
            cur_e = e
        else:
            out.append((cur_s, cur_e))
            cur_s, cur_e = s, e
    if cur_s is not None and cur_e > cur_s:
        out.append((cur_s, cur_e))
    return out


@lru_cache(maxsize=1)
def surname_frequencies() -> dict[str, float]:
    """Surname -> corpus frequency (``review/data/surnames.tsv``: 1,074 surnames, 56 of them compound)."""
    rows = importlib.resources.files("review").joinpath("data", "surnames.tsv").read_text(encoding="utf-8")
    out = {}
    for line in rows.splitlines():
        if line and not line.startswith("#"):
            name, _, tf = line.partition("\t")
            out[name] = float(tf or 0)
    return out


@dataclass(frozen=True)
class StartBias:
    """Added to the scores (logits) of the actions that start a name (B-/U-PERSON) at a character: ``common``
    where a common surname starts (frequency ≥ ``common_min_tf``, or a compound surname), ``rare`` at any
    other listed surname, ``other`` elsewhere. All zero: spaCy's own decisions."""

    common: float = 0.0
    rare: float = 0.0
    other: float = 0.0
    common_min_tf: float = 50.0

    @property
    def is_zero(self) -> bool:
        return self.common == self.rare == self.other == 0.0

    def per_character(self, chars: list[str]) -> np.ndarray:
        tf = surname_frequencies()
        out = np.full(len(chars), self.other, dtype=np.float32)
        for t, c in enumerate(chars):
            if t + 1 < len(chars) and c + chars[t + 1] in tf:  # 欧阳, 司马 …
                out[t] = self.common
            elif tf.get(c, 0.0) >= self.common_min_tf:
                out[t] = self.common
            elif c in tf:
                out[t] = self.rare
        return out


def _model_start_bias(path: Path) -> StartBias:
    """The decoding settings stored with the model (meta.json "decoding"), none if absent."""
    meta_path = path / "meta.json"
    if not meta_path.is_file():
        return StartBias()
    decoding = json.loads(meta_path.read_text(encoding="utf-8")).get("decoding") or {}
    return StartBias(**decoding.get("start_bias", {}))


class PersonNER:
    """PERSON spans with a spaCy pipeline; use :meth:`load` (cached) rather than the constructor."""

    def __init__(self, nlp, with_scores: bool = True, start_bias: StartBias | None = None):
        self.nlp = nlp
        self.ner = nlp.get_pipe("ner")
        self.with_scores = with_scores
        self.start_bias = start_bias or StartBias()
        moves = list(self.ner.move_names)
        self._b, self._i, self._l, self._u = (moves.index(f"{a}-{LABEL}") for a in "BILU")
        self._start_valid = np.array([k for k, m in enumerate(moves) if m[:2] in ("B-", "U-") or m == "O"])
        self._inside_valid = np.array([self._i, self._l])
        self._start_actions = np.array([self._b, self._u])

    @classmethod
    def load(cls, path: str | Path | None = None, with_scores: bool = True) -> "PersonNER":
        p = Path(path) if path is not None else default_model_path()
        key = (str(p.resolve()), with_scores)
        with _lock:
            if key not in _cache:
                import spacy

                nlp = spacy.load(p, exclude=[n for n in _pipe_names(p) if n != "ner"])
                _cache[key] = cls(nlp, with_scores=with_scores, start_bias=_model_start_bias(p))
            return _cache[key]

    def with_start_bias(self, start_bias: StartBias) -> "PersonNER":
        """The same model decoded with another surname prior (for tuning; shares the loaded pipeline)."""
        return PersonNER(self.nlp, with_scores=True, start_bias=start_bias)

    # ------------------------------------------------------------------------------------------------
    def find(self, text: str) -> list[tuple[int, int, float]]:
        """PERSON spans of ``text``: (start, end, score), sorted by start."""
        return self.find_many([text])[0]

    def find_many(self, texts: Iterable[str], batch_size: int = 64) -> list[list[tuple[int, int, float]]]:
        texts = list(texts)
        jobs: list[tuple[int, int]] = []  # (text index, chunk start)
        pieces: list[str] = []
        for i, text in enumerate(texts):
            if not text:
                continue
            for s, e in chunks(text):
                piece = text[s:e]
                if _HAN.search(piece):  # a Chinese name needs Han characters
                    jobs.append((i, s))
                    pieces.append(piece)
        out: list[list[tuple[int, int, float]]] = [[] for _ in texts]
        for (i, off), spans in zip(jobs, self._spans(pieces, batch_size)):
            out[i].extend((off + s, off + e, sc) for s, e, sc in spans)
        for spans in out:
            spans.sort()
        return out

    def _spans(self, pieces: list[str], batch_size: int) -> Iterable[list[tuple[int, int, float]]]:
        make_doc = self.nlp.make_doc
        for b in range(0, len(pieces), batch_size):
            docs = [make_doc(p) for p in pieces[b : b + batch_size]]
            if self.with_scores:
                yield from self._parse_scored(docs)
            else:
                for doc in self.ner.pipe(docs, batch_size=batch_size):
                    yield [(e.start_char, e.end_char, 1.0) for e in doc.ents if e.label_ == LABEL]

    def _parse_scored(self, docs: list) -> list[list[tuple[int, int, float]]]:
        """Greedy decoding exactly as spaCy's ``ner`` does it (same transitions, chosen by the same C code),
        keeping each step's action scores. A span's score is the product, over its characters, of the
        softmax probability of the action taken among the actions valid at that point: B/U/O at its first
        character, I/L inside it (after the surname prior, so the score is the decoder's own confidence).
        Every NER transition consumes one token, so step t is token t."""
        ner = self.ner
        step_model = ner.model.predict(docs)
        states = ner.moves.init_batch(docs)
        index = {id(s): i for i, s in enumerate(states)}
        prior = None if self.start_bias.is_zero else [self.start_bias.per_character([t.text for t in d]) for d in docs]
        history: list[tuple[np.ndarray, dict[int, int]]] = []
        active = [s for s in states if not s.is_final()]
        while active:
            scores = step_model.predict(active)
            if prior is not None:  # step t decides about token t in every document still being decoded
                t = len(history)
                bonus = np.array([prior[index[id(s)]][t] for s in active], dtype=scores.dtype)
                scores[:, self._start_actions] += bonus[:, None]
            history.append((scores, {index[id(s)]: r for r, s in enumerate(active)}))
            active = ner.transition_states(active, scores)
        step_model.clear_memory()
        ner.set_annotations(docs, states)
        out = []
        for i, doc in enumerate(docs):
            res = []
            for e in doc.ents:
                if e.label_ != LABEL:
                    continue
                logp = 0.0
                for t in range(e.start, e.end):
                    scores, rows = history[t]
                    row = scores[rows[i]]
                    if t == e.start:
                        take = self._u if e.end - e.start == 1 else self._b
                        valid = self._start_valid
                    else:
                        take = self._l if t == e.end - 1 else self._i
                        valid = self._inside_valid
                    v = row[valid].astype(np.float64)
                    logp += float(row[take]) - (v.max() + math.log(np.exp(v - v.max()).sum()))
                res.append((e.start_char, e.end_char, round(math.exp(logp), 4)))
            out.append(res)
        return out


def _pipe_names(path: Path) -> list[str]:
    import srsly

    cfg = path / "config.cfg"
    try:
        from spacy.util import load_config

        return list(load_config(cfg)["nlp"]["pipeline"])
    except Exception:  # pragma: no cover - a model without config is broken anyway
        return list(srsly.read_json(path / "meta.json").get("pipeline", []))
