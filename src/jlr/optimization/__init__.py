"""Optimization for deep learning (section 4) as library code: each study of the lesson is a
set of pure functions here, tested, and plotted by `jlr.viz.optimization_plots`.

minibatch_noise   variance of the mini-batch gradient vs batch size (the 1/B law)
noise_scale       SGD's noise scale lr/B vs sharpness and test accuracy (implicit regularization)
quadratics        ill-conditioned quadratics: GD, heavy ball, Nesterov and their theoretical rates
test_functions    Rosenbrock, Himmelblau, Rastrigin and a strict saddle
trajectories      an optimizer's path on a 2-D landscape
saddle_escape     steps to leave a strict saddle for GD, noisy GD and Adam
sharpness         top Hessian eigenvalue by HVP power iteration
double_descent    random-features regression: test error vs number of features
implicit_bias     min-norm least squares and max-margin logistic regression
"""
