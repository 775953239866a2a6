"""pagetext"""
