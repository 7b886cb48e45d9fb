import { Module } from "@nestjs/common";
import { CatsModule } from "./cats/cats.module";
import { HealthController } from "./health.controller";

@Module({
  imports: [CatsModule],
  controllers: [HealthController],
})
export class AppModule {}
