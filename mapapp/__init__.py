"""mapapp: a map of where a sustainable development program in the Peruvian Amazon works."""

__version__ = "0.1.0"
