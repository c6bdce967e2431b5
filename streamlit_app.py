"""Entry point for ``streamlit run streamlit_app.py``: the page lives in mapapp.app."""

from mapapp.app import main

main()
