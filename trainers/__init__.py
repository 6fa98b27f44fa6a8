"""Meta-learning the article's figure models, and exporting every computation a figure needs."""
