"""The population model: BG/NBD and Gamma-Gamma fits, stored, cached, refitted on a schedule."""
