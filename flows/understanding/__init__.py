"""Understanding what people type: one machinery, several readers.

- :mod:`~flows.understanding.words`: a message as normalised words (spelling, sentences).
- :mod:`~flows.understanding.lexicon`: words as concepts, with stems and typos.
- :mod:`~flows.understanding.rules`: phrases and concept patterns.
- :mod:`~flows.understanding.classifier`: logistic regression, scored with dicts.
- :mod:`~flows.understanding.crisis`: the crisis detector (113/112), and
  :mod:`~flows.understanding.crisis_check` to measure it.
- :mod:`~flows.understanding.situation`: the situation reader (what a story says, as
  option codes), and :mod:`~flows.understanding.situation_check` to measure it.
- :mod:`~flows.understanding.readers`: both readers built for one content version, as a
  value; what was trained can be written out as plain data and read back (the host caches
  it by digest, so a serving process never trains).

Everything here is pure: no I/O, no clock, no logging, nothing typed kept beyond a call.
Readers are taught by content (``content/phrases/``), never by code.
"""
