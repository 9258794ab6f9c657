"""The app's pure logic, with no Streamlit: the control registry, set-ups as links, guided
scenarios and the reproduce-in-Python snippet. ``sae_core.ui`` draws it."""
