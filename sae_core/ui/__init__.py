"""The Streamlit layer of sae_core: the only package here that imports streamlit."""
