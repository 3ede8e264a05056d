"""Framework-specific training pieces built on the core."""
