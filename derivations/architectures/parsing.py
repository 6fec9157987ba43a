"""Reading the courses' notations for a network into a :class:`~derivations.architectures.layers.Spec`.

Two notations, freely mixed line by line:

- **VGG's**, tokens separated by spaces or commas: ``CONV3-64`` (a 3×3 convolution with 64
  filters, stride 1, padded to keep the size: ``p = (k − 1)/2``), ``POOL2`` (2×2 max pooling,
  stride 2), ``FC-4096`` (a dense layer), and ``BN``, ``RELU``, ``DROPOUT``, ``FLATTEN``,
  ``GAP`` (global average pooling). Case does not matter.
- **layer per line**: a kind, an optional count, then ``key=value`` settings, e.g.
  ``conv 32 k=5 s=2 p=1``, ``maxpool k=2 s=2``, ``fc 10 bias=false``; keys ``k`` (kernel),
  ``s`` (stride), ``p`` (padding), ``d`` (dilation), ``g`` (groups), ``bias``; a size is one
  integer or ``HxW``. A pooling layer's stride defaults to its kernel.

An error names the token, its position (0-based, in characters) and what was expected.

>>> [(x.kind, x.out, x.kernel, x.padding) for x in parse("CONV3-64 POOL2 FC-10").layers]
[('conv', 64, (3, 3), (1, 1)), ('maxpool', None, (2, 2), (0, 0)), ('dense', 10, (1, 1), (0, 0))]
>>> parse("conv 8 k=5x3 s=2\\nrelu").layers[0].kernel
(5, 3)
>>> parse("CONV3-64 CONV3x64")
Traceback (most recent call last):
...
ValueError: text: cannot read 'CONV3x64' at position 9: expected CONV<k>-<filters>, POOL<k>, FC-<units>, BN, RELU, DROPOUT, FLATTEN or GAP
"""

from __future__ import annotations

import re

from derivations.architectures.layers import Layer, Spec

#: Longest spec text read (a network of a few hundred layers).
MAX_LENGTH = 20_000

_VGG = {
    "conv": re.compile(r"conv(\d{1,3})-(\d{1,6})", re.IGNORECASE),
    "pool": re.compile(r"(max|avg)?pool(\d{1,3})", re.IGNORECASE),
    "fc": re.compile(r"fc-(\d{1,7})", re.IGNORECASE),
}
_WORDS = {
    "bn": "batchnorm",
    "relu": "relu",
    "dropout": "dropout",
    "flatten": "flatten",
    "gap": "gap",
}
_LINE_KINDS = {
    "conv": "conv",
    "fc": "dense",
    "dense": "dense",
    "linear": "dense",
    "pool": "maxpool",
    "maxpool": "maxpool",
    "avgpool": "avgpool",
    "bn": "batchnorm",
    "batchnorm": "batchnorm",
    "relu": "relu",
    "dropout": "dropout",
    "flatten": "flatten",
    "gap": "gap",
}
_KEYS = {
    "k": "kernel",
    "kernel": "kernel",
    "s": "stride",
    "stride": "stride",
    "p": "padding",
    "padding": "padding",
    "d": "dilation",
    "dilation": "dilation",
    "g": "groups",
    "groups": "groups",
    "bias": "bias",
}
_EXPECTED_VGG = "CONV<k>-<filters>, POOL<k>, FC-<units>, BN, RELU, DROPOUT, FLATTEN or GAP"


def _fail(token: str, pos: int, expected: str):
    raise ValueError(f"text: cannot read {token!r} at position {pos}: expected {expected}")


def _vgg_token(token: str, pos: int) -> Layer:
    if m := _VGG["conv"].fullmatch(token):
        k, c = int(m[1]), int(m[2])
        if k < 1 or c < 1 or k % 2 == 0:
            _fail(token, pos, "an odd kernel >= 1 and at least one filter (same padding)")
        return Layer("conv", out=c, kernel=k, padding=(k - 1) // 2)
    if m := _VGG["pool"].fullmatch(token):
        k = int(m[2])
        if k < 1:
            _fail(token, pos, "a pooling window >= 1")
        return Layer("avgpool" if (m[1] or "").lower() == "avg" else "maxpool", kernel=k, stride=k)
    if m := _VGG["fc"].fullmatch(token):
        if int(m[1]) < 1:
            _fail(token, pos, "at least one unit")
        return Layer("dense", out=int(m[1]))
    if token.lower() in _WORDS:
        return Layer(_WORDS[token.lower()])
    _fail(token, pos, _EXPECTED_VGG)


def _size(text: str, pos: int, key: str):
    parts = re.fullmatch(r"(\d{1,6})(?:[x×](\d{1,6}))?", text)
    if not parts:
        _fail(text, pos, f"{key}=<integer> or {key}=<h>x<w>")
    return int(parts[1]) if parts[2] is None else (int(parts[1]), int(parts[2]))


def _line(words: list[tuple[str, int]]) -> Layer:
    (head, head_pos), rest = words[0], words[1:]
    kind = _LINE_KINDS[head.lower()]
    settings: dict = {}
    if rest and "=" not in rest[0][0]:
        count, pos = rest.pop(0)
        if not count.isdigit() or not count.isascii() or int(count) < 1 or len(count) > 7:
            _fail(count, pos, f"the number of {'filters' if kind == 'conv' else 'units'}")
        settings["out"] = int(count)
    for token, pos in rest:
        key, eq, value = token.partition("=")
        if not eq or key.lower() not in _KEYS:
            _fail(token, pos, "key=value with key one of k, s, p, d, g, bias")
        field = _KEYS[key.lower()]
        value_pos = pos + len(key) + 1
        if field == "bias":
            if value.lower() not in ("true", "false"):
                _fail(value, value_pos, "bias=true or bias=false")
            settings["bias"] = value.lower() == "true"
        elif field == "groups":
            if not value.isdigit() or not value.isascii() or len(value) > 6:
                _fail(value, value_pos, "groups=<integer>")
            settings["groups"] = int(value)
        else:
            settings[field] = _size(value, value_pos, key)
    if kind in ("conv", "dense") and "out" not in settings:
        _fail(
            head,
            head_pos,
            f"{head} <count>: the number of {'filters' if kind == 'conv' else 'units'}",
        )
    if kind in ("maxpool", "avgpool"):
        settings.setdefault("kernel", 2)
        settings.setdefault("stride", settings["kernel"])
    allowed = {
        "conv": {"out", "kernel", "stride", "padding", "dilation", "groups", "bias"},
        "dense": {"out", "bias"},
        "maxpool": {"kernel", "stride", "padding", "dilation"},
        "avgpool": {"kernel", "stride", "padding"},
    }.get(kind, set())
    extra = set(settings) - allowed
    if extra:
        bad = next(
            t
            for t in words[1:]
            if _KEYS.get(t[0].partition("=")[0].lower(), "out") in extra
            or (t[0].isdigit() and "out" in extra)
        )
        _fail(
            bad[0],
            bad[1],
            f"settings a {kind} layer takes ({', '.join(sorted(allowed)) or 'none'})",
        )
    try:
        return Layer(kind, **settings)
    except ValueError as exc:
        raise ValueError(f"text: at position {head_pos} ({head!r} …): {exc}") from None


def parse(text: str, *, input_shape=None, name: str = "") -> Spec:
    """Read ``text`` in either notation (see the module) into a spec.

    >>> len(parse("CONV3-64 POOL2 CONV3-128 POOL2 FC-10").layers)
    5
    >>> parse("conv k=3")
    Traceback (most recent call last):
    ...
    ValueError: text: cannot read 'conv' at position 0: expected conv <count>: the number of filters
    """
    if not isinstance(text, str):
        raise TypeError(f"text: a string is required, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ValueError(f"text: at most {MAX_LENGTH} characters are read, got {len(text)}")
    layers: list[Layer] = []
    offset = 0
    for line in text.splitlines(keepends=True):
        words = [(m[0], offset + m.start()) for m in re.finditer(r"[^\s,;→]+", line.split("#")[0])]
        offset += len(line)
        if not words:
            continue
        head = words[0][0].lower()
        # a kind word that is not also a VGG token ('conv', 'fc', 'maxpool') opens a line
        line_form = head in _LINE_KINDS and not _is_vgg(words[0][0])
        if line_form:
            layers.append(_line(words))
        else:
            layers.extend(_vgg_token(w, p) for w, p in words)
    if not layers:
        raise ValueError("text: no layer found; e.g. 'CONV3-64 POOL2 FC-10'")
    return Spec(tuple(layers), input_shape, name)


def _is_vgg(word: str) -> bool:
    return any(r.fullmatch(word) for r in _VGG.values()) or word.lower() in _WORDS
