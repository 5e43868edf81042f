"""The model files the engines use: which one each slot resolves to, the catalogue, installing, bundling."""
