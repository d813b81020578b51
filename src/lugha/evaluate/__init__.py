"""lugha.evaluate"""
