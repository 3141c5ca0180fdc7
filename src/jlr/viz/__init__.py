"""Figures: training curves and the plots each lesson draws."""
