"""Static-site generator for the MAML article."""
