namespace rota {}
