"""MNIST-format data: the IDX reader/writer, folders of the four IDX files, and the download."""
