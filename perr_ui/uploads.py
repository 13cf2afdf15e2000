"""An uploaded file parsed once, not at every rerun of its page.

Streamlit reruns the page's script at every click while the file stays in its uploader: the
parse (or its refusal) is kept in the session, keyed by the uploader and the file's content
hash, so a rerun reuses it; another file (or the same name with other content) is parsed anew.
Only the last file of each uploader is kept.
"""
from __future__ import annotations

import hashlib
from typing import Callable, TypeVar

import streamlit as st

from perr_model.errors import PerrError

T = TypeVar("T")
_PREFIX = "_parsed_upload:"


def parsed_once(key: str, data: bytes, name: str, parse: Callable[[bytes, str], T]) -> T:
    """`parse(data, name)`, computed once per content of uploader `key`; a refusal (PerrError)
    is kept too and raised again."""
    digest = hashlib.sha256(data).hexdigest() + ":" + name
    held = st.session_state.get(_PREFIX + key)
    if held is None or held[0] != digest:
        try:
            held = (digest, parse(data, name), None)
        except PerrError as exc:
            held = (digest, None, exc)
        st.session_state[_PREFIX + key] = held
    if held[2] is not None:
        raise held[2]
    return held[1]
