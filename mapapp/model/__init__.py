"""The vocabulary: indicators and goals, the view a user asks for, words, number formats,
credits."""
