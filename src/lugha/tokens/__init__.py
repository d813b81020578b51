"""lugha.tokens"""
