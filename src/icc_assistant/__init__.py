"""ICC Assistant: a multilingual, cited chat assistant over Intercultural Cities material."""

__version__ = "0.1.0"
