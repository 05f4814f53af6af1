"""Deep links on a fresh server, with the ``pages/`` folder kept.

Streamlit 1.67 decides once per process, when the first session starts, whether the app uses
the old automatic ``pages/`` mode (``PagesManager.uses_pages_directory``); only a run of
``st.navigation`` turns it off. So when the very first request to a new server is a deep link
such as ``/coverage?quarter=2023Q1``, Streamlit runs ``pages/coverage.py`` on its own: raw file
names in the sidebar and none of app.py's chrome.

Every page imports ``ui``, and the shell calls ``ensure_router()`` first thing. If the old mode
is still on, it is switched off and the run starts again: the rerun executes ``app.py``, whose
``st.navigation`` resolves the same URL path (page hashes come from the URL path, which app.py
gives explicitly as the file stem) and draws the full navigation and chrome. This happens at
most once per server process.
"""

from __future__ import annotations

import streamlit as st


def ensure_router() -> None:
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # a Streamlit without this internal: nothing to fix
        return
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()
