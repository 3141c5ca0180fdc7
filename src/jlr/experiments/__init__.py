"""Sizable experiments that one lesson runs; each module names the lesson that runs it.

An experiment trains many models or sweeps a parameter to show one claim; its reusable
pieces live in the concept packages (`jlr.optim`, `jlr.landscape`, `jlr.models`, ...), and
what is left, the experiment itself, lives here, one module named for what it studies:

noise_scale      SGD's noise scale lr / B vs sharpness and test accuracy     (lesson 04)
saddle_escape    steps to leave a strict saddle for GD, noisy GD and Adam    (lesson 04)
double_descent   random-features regression: test error vs number of features (lesson 04)
implicit_bias    min-norm least squares and max-margin logistic regression  (lesson 04)
depth_width      MLPs of every depth at one parameter budget, seeds vmapped   (lesson 06)
feature_hierarchy  what each CNN layer responds to: filters, activations     (lesson 08)
training_dynamics  a small GPT's loss, gradient norm, update ratios, warmup, B_simple (lesson 09)
"""
