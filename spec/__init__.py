"""The specification pages and golden vectors, shipped as package data."""
