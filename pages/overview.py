"""Leaders' overview (领导总览): how is the programme doing this quarter, and which townships lag?"""

import streamlit as st

import ui

if ui.page_header("common.page.overview"):
    f = ui.filters()
    st.write(f.quarter)
