"""The 2-D map: metadata features, kNN, UMAP on the CPU (umap-learn) or GPU (cuML), incremental
placement, quality measures and the content-addressed layout cache."""
