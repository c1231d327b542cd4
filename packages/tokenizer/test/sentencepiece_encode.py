#!/usr/bin/env python3
"""Encodes texts with the SentencePiece library, for tests that compare a model trained here against it.

stdin:  {"model": "path/to/tokenizer.model", "texts": ["...", ...], "decode": [[1, 2, 3], ...]}
stdout: {"vocab_size": N, "bos": ..., "eos": ..., "pad": ..., "unk": ...,
         "ids": [[...], ...], "decoded": ["...", ...]}
Needs Debian's python3-sentencepiece (/usr/bin/python3); exits 3 when the module is missing.
"""
import json
import sys

try:
    import sentencepiece as spm
except ImportError:
    sys.exit(3)


def main():
    request = json.load(sys.stdin)
    sp = spm.SentencePieceProcessor(model_file=request["model"])
    json.dump({"vocab_size": sp.vocab_size(), "bos": sp.bos_id(), "eos": sp.eos_id(), "pad": sp.pad_id(),
               "unk": sp.unk_id(), "ids": [sp.encode(t) for t in request["texts"]],
               "decoded": [sp.decode(ids) for ids in request.get("decode", [])]}, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
