"""lugha.corpus"""
