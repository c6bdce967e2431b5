"""Drawings and files of a map layer: the web map, the PNG, the deck, the exports."""
