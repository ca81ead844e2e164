"""The learning loop: what the model guessed and what people settled, model versions, retraining."""
