"""Text statistics using only Python's standard library."""

import collections
import re

import modulus

_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?", re.UNICODE)
_SENTENCE_END = re.compile(r"[.!?]+(?:\s|$)")
_VOWEL_GROUPS = re.compile(r"[aeiouy]+")


def _syllables(word: str) -> int:
    word = word.lower()
    count = len(_VOWEL_GROUPS.findall(word))
    if word.endswith("e") and count > 1:
        count -= 1
    return max(count, 1)


class TextStats(modulus.Module):
    """Counts and frequent words of a text, and its Flesch reading ease."""

    @modulus.endpoint(idempotent=True)
    def forward(self, text: str, top: int = 5) -> dict:
        if top < 0:
            raise modulus.InvalidArgument(f"top must be zero or more, not {top}")
        words = _WORD.findall(text)
        sentences = max(len(_SENTENCE_END.findall(text)), 1 if words else 0)
        counts = collections.Counter(w.lower() for w in words)
        return {
            "characters": len(text),
            "words": len(words),
            "sentences": sentences,
            "lines": text.count("\n") + 1 if text else 0,
            "top_words": [[word, n] for word, n in counts.most_common(top)],
            "reading_ease": self.reading_ease(text),
        }

    @modulus.endpoint(description="Flesch reading ease: higher is easier (90+ very easy, under 30 very hard).", idempotent=True)
    def reading_ease(self, text: str) -> float:
        words = _WORD.findall(text)
        if not words:
            return 0.0
        sentences = max(len(_SENTENCE_END.findall(text)), 1)
        syllables = sum(_syllables(w) for w in words)
        return round(206.835 - 1.015 * (len(words) / sentences) - 84.6 * (syllables / len(words)), 2)
