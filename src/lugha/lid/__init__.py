"""lugha.lid"""
