"""Hybrid retrieval over the knowledge base: dense (m3e + faiss) and BM25 (bm25s), score-fused."""
