import { Controller, Get, Inject } from "@nestjs/common";
import { type Cat, CatsService } from "./cats.service";

@Controller("cats")
export class CatsController {
  constructor(@Inject(CatsService) private readonly catsService: CatsService) {}

  @Get()
  findAll(): Cat[] {
    return this.catsService.findAll();
  }
}
