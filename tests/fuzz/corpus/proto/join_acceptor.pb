
*
eyJhbGciOiJIUzI1NiJ9.e30.c2lnkiosk-7