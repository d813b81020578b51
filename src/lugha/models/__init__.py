"""lugha.models"""
