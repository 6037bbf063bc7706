"""Evaluation: NumPy metrics, feature extractors, the streaming evaluator, the digit classifier.

`kgan.eval.metrics` is NumPy/SciPy only and never imports TensorFlow.
"""
