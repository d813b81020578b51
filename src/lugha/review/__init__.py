"""lugha.review"""
