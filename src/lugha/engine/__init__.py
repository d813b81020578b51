"""lugha.engine"""
