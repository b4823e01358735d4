"""The app's pages: Streamlit scripts that sim/app/main.py navigates between."""
