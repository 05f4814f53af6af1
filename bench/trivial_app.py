"""The yardstick for the overview's browser time: a one-metric Streamlit page, served by
bench/pages.py in the same run as the dashboard."""

import streamlit as st

st.metric("trivial", 1)
