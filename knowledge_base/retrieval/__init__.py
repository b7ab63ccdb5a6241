"""Hybrid retrieval over the knowledge base: dense (faiss) and BM25 (bm25s) fused by RRF."""
