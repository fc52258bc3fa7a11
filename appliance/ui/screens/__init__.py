"""One module per group of full-screen views; each is a function of the model drawn by a Painter."""
