"""Reports to authorities and investigators built from a case (goAML STR, ...)."""
